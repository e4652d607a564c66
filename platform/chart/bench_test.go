package chart

import "testing"

// BenchmarkRender measures one `helm template` of the chart with the prod values through the
// SDK, schema validation and strict decoding included.
func BenchmarkRender(b *testing.B) {
	for b.Loop() {
		render(b, environments["prod"], nil)
	}
}
