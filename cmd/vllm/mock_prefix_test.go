package main

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/vllmgo/vllm"
)

// startMock runs "vllm mock" with args on a free port and returns its base
// URL; the process is killed when the test ends.
func startMock(t *testing.T, args ...string) string {
	t.Helper()
	_, base := startMockProcess(t, args...)
	return base
}

// startMockProcess is startMock returning the process too.
func startMockProcess(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"mock", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = []string{}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("mock: %v", err)
	}
	return cmd, strings.TrimSpace(first)
}

// cachedTokens sends the same long prompt twice and returns the second
// answer's usage.prompt_tokens_details (nil when absent).
func cachedTokens(t *testing.T, base string) *vllm.PromptTokensDetails {
	t.Helper()
	c, err := vllm.New(base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := &vllm.ChatRequest{Model: "vllmtest-model", Messages: []vllm.Message{vllm.User(strings.Repeat("a long shared prompt ", 40))}}
	var resp *vllm.ChatResponse
	for i := 0; i < 2; i++ {
		if resp, err = c.Chat.Create(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	return resp.Usage.PromptTokensDetails
}

func TestMockPrefixCacheFlags(t *testing.T) {
	d := cachedTokens(t, startMock(t, "--enable-prompt-tokens-details", "--block-size", "8", "--num-gpu-blocks", "64"))
	if d == nil || d.CachedTokens == 0 || d.CachedTokens%8 != 0 {
		t.Errorf("--enable-prompt-tokens-details: second request's details %+v, want cached tokens in blocks of 8", d)
	}
	if d := cachedTokens(t, startMock(t)); d != nil {
		t.Errorf("without --enable-prompt-tokens-details: details %+v, want none", d)
	}
	if d := cachedTokens(t, startMock(t, "--enable-prompt-tokens-details", "--no-enable-prefix-caching")); d != nil {
		t.Errorf("--no-enable-prefix-caching: details %+v, want none", d)
	}
	if r := runCLI(t, "", nil, "mock", "--num-gpu-blocks", "0"); r.code != exitUsage {
		t.Errorf("--num-gpu-blocks 0: exit %d %q", r.code, r.stderr)
	}
}
