package ivr

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// TTS renders prompts with espeak-ng (run as a process) and converts them
// with sox to 8 kHz mono 16-bit WAV, which the SIP backend encodes to PCMU.
// Prompts are cached on disk by a hash of (text, voice, rate).
type TTS struct {
	Dir   string // cache directory (created if missing)
	Voice string // default voice, "en-us"
	Rate  int    // default words per minute, 160

	Espeak string // binary, default "espeak-ng"
	Sox    string // binary, default "sox"

	mu       sync.Mutex
	inflight map[string]*sync.Mutex
}

// CheckTools reports a missing espeak-ng or sox, naming the packages.
func (t *TTS) CheckTools() error {
	var missing []string
	if _, err := exec.LookPath(t.espeak()); err != nil {
		missing = append(missing, "espeak-ng (apt package espeak-ng)")
	}
	if _, err := exec.LookPath(t.sox()); err != nil {
		missing = append(missing, "sox (apt package sox)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("text to speech needs %v: apt-get install -y espeak-ng sox", missing)
	}
	return nil
}

// CheckVoice reports a voice espeak-ng does not have, naming it: a
// configuration error better found at start than on a call. A voice is
// a language, voice name or voice file that `espeak-ng --voices` lists,
// optionally with +VARIANT of `espeak-ng --voices=variant` (en-us+f3).
// espeak-ng itself accepts names it does not have (it falls back to a
// near one), so its own exit status cannot tell.
func (t *TTS) CheckVoice(voice string) error {
	name, variant, hasVariant := strings.Cut(voice, "+")
	known := func(arg, want string) (bool, error) {
		out, err := exec.Command(t.espeak(), arg).Output()
		if err != nil {
			return false, fmt.Errorf("espeak-ng %s: %v", arg, err)
		}
		for _, line := range strings.Split(string(out), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 5 {
				continue
			}
			file := f[4]
			for _, n := range []string{f[1], f[3], file, file[strings.LastIndexByte(file, '/')+1:]} {
				if strings.EqualFold(n, want) {
					return true, nil
				}
			}
		}
		return false, nil
	}
	ok, err := known("--voices", name)
	if err == nil && ok && hasVariant {
		ok, err = known("--voices=variant", variant)
	}
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("espeak-ng has no voice %q (espeak-ng --voices lists them, --voices=variant the +VARIANTs)", voice)
	}
	return nil
}

func (t *TTS) espeak() string {
	if t.Espeak != "" {
		return t.Espeak
	}
	return "espeak-ng"
}

func (t *TTS) sox() string {
	if t.Sox != "" {
		return t.Sox
	}
	return "sox"
}

func (t *TTS) lock(key string) func() {
	t.mu.Lock()
	if t.inflight == nil {
		t.inflight = map[string]*sync.Mutex{}
	}
	m := t.inflight[key]
	if m == nil {
		m = &sync.Mutex{}
		t.inflight[key] = m
	}
	t.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// Say renders text and returns the cached WAV's path.
func (t *TTS) Say(ctx context.Context, text, voice string, rate int) (string, error) {
	if voice == "" {
		voice = t.Voice
	}
	if voice == "" {
		voice = "en-us"
	}
	if rate <= 0 {
		rate = t.Rate
	}
	if rate <= 0 {
		rate = 160
	}
	if rate < 80 || rate > 450 {
		return "", fmt.Errorf("rate %d words per minute is out of range 80-450", rate)
	}
	sum := sha256.Sum256([]byte(voice + "\x00" + strconv.Itoa(rate) + "\x00" + text))
	key := hex.EncodeToString(sum[:16])
	if err := os.MkdirAll(t.Dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(t.Dir, "say-"+key+".wav")
	unlock := t.lock(key)
	defer unlock()
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	raw := out + ".espeak.wav"
	defer os.Remove(raw)
	if err := run(ctx, t.espeak(), "-v", voice, "-s", strconv.Itoa(rate), "-w", raw, "--", text); err != nil {
		return "", fmt.Errorf("espeak-ng (voice %q): %w", voice, err)
	}
	if err := t.convert(ctx, raw, out); err != nil {
		return "", err
	}
	return out, nil
}

// Audio converts an audio file sox can read to a cached 8 kHz mono WAV.
func (t *TTS) Audio(ctx context.Context, src string) (string, error) {
	st, err := os.Stat(src)
	if err != nil {
		return "", fmt.Errorf("audio %q: %w", src, err)
	}
	sum := sha256.Sum256([]byte(src + "\x00" + st.ModTime().String() + "\x00" + strconv.FormatInt(st.Size(), 10)))
	key := hex.EncodeToString(sum[:16])
	if err := os.MkdirAll(t.Dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(t.Dir, "audio-"+key+".wav")
	unlock := t.lock(key)
	defer unlock()
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := t.convert(ctx, src, out); err != nil {
		return "", err
	}
	return out, nil
}

func (t *TTS) convert(ctx context.Context, in, out string) error {
	tmp := out + ".tmp.wav"
	if err := run(ctx, t.sox(), "-q", in, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", tmp, "gain", "-1"); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sox: %w", err)
	}
	return os.Rename(tmp, out)
}

func run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return fmt.Errorf("%s not installed (apt-get install -y espeak-ng sox): %w", name, err)
		}
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
