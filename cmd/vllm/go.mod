module github.com/vllmgo/vllm/cmd/vllm

go 1.26.0

replace github.com/vllmgo/vllm => ../..

require (
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.10
	github.com/vllmgo/vllm v0.0.0
)

require github.com/inconshreveable/mousetrap v1.1.0 // indirect
