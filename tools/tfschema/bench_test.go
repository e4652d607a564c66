package main

import "testing"

// BenchmarkLoadProvider: the start-up cost of the stand-in per provider (what each terraform
// validate/test pays per provider process that is asked for its schema).
func BenchmarkLoadProvider(b *testing.B) {
	for _, name := range []string{"aws", "helm", "kubernetes", "random"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				doc, err := readSchema(name)
				if err == nil {
					_, err = loadProvider(doc, "registry.terraform.io/hashicorp/"+name)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
