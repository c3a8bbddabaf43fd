module github.com/vllmgo/vllm

go 1.25
