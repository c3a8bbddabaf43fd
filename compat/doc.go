// Package compat holds tests only: it runs third-party OpenAI clients
// (github.com/openai/openai-go/v3 and github.com/sashabaranov/go-openai)
// against vllmtest, to show that the test server's dialect is what clients
// nobody here wrote expect. It is a module of its own so that the library
// takes no dependency on them.
package compat
