package jsonv
import "testing"
func BenchmarkSizeSmall(b *testing.B) {
	o := ObjectOf("n", int64(77), "tag", "w2", "size", "big")
	for i := 0; i < b.N; i++ { Size(o, 262144) }
}
