package main

import (
	"bytes"
	"testing"
)

// BenchmarkLoadProvider: the start-up cost of the stand-in per provider (what each terraform
// validate/test pays per provider process that is asked for its schema).
func BenchmarkLoadProvider(b *testing.B) {
	for _, name := range []string{"aws", "helm", "kubernetes", "random"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := loadProvider(bytes.NewReader(schemasXZ), "registry.terraform.io/hashicorp/"+name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
