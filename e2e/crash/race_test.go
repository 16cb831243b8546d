//go:build race

package crash

// The server binary is built with -race too when the test is, so that the
// crash test also looks for data races in the server.
func init() { raceEnabled = true }
