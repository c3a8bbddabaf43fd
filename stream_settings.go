package vllm

// streamSettings holds the client-wide settings of streams (idle timeout,
// maximum event size). It is owned by the streaming layer.
type streamSettings struct{}
