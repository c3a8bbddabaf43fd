package memnet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// pair returns both ends of a new connection.
func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l := Listen("test")
	t.Cleanup(func() { l.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err := Dial(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestBytesFlowBothWaysAndCloseIsEOF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := pair(t)
		// A write larger than the window completes once the reader drains it.
		big := strings.Repeat("x", 3*window+7)
		go func() {
			if _, err := io.WriteString(c, big); err != nil {
				t.Error(err)
			}
			c.Close()
		}()
		got, err := io.ReadAll(s)
		if err != nil || string(got) != big {
			t.Fatalf("read %d bytes, err %v", len(got), err)
		}
		if _, err := s.Write([]byte("late")); err == nil {
			t.Fatal("write to a closed peer succeeded")
		}
	})
}

func TestResetIsECONNRESET(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := pair(t)
		s.Write([]byte("sent"))
		s.(interface{ SetLinger(int) error }).SetLinger(0)
		s.Close()
		b, err := io.ReadAll(c)
		if string(b) != "sent" || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("read %q, err %v; want the bytes sent, then ECONNRESET", b, err)
		}
	})
}

func TestDeadlinesTakeTheirSimulatedTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := pair(t)
		start := time.Now()
		c.SetReadDeadline(start.Add(3 * time.Second))
		_, err := c.Read(make([]byte, 1))
		if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != 3*time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
		// A deadline moved while a read waits takes effect at once.
		c.SetReadDeadline(time.Time{})
		done := make(chan error)
		go func() {
			_, err := c.Read(make([]byte, 1))
			done <- err
		}()
		time.Sleep(time.Hour)
		c.SetReadDeadline(time.Now().Add(-time.Second))
		if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		// Writes wait for room, until their deadline.
		c.SetWriteDeadline(time.Now().Add(time.Second))
		n, err := c.Write(make([]byte, window+1))
		if n != window || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("wrote %d, err %v", n, err)
		}
	})
}

func TestDialUnknownAddressIsRefused(t *testing.T) {
	l := Listen("test")
	addr := l.Addr().String()
	l.Close()
	if _, err := Dial(context.Background(), "tcp", addr); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err %v", err)
	}
}

func TestHTTPOverMemnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := Listen("http")
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(2 * time.Second)
			io.WriteString(w, "hello "+r.URL.Path)
		})}
		go srv.Serve(l)
		defer srv.Close()
		tr := Transport()
		defer tr.CloseIdleConnections()
		start := time.Now()
		resp, err := (&http.Client{Transport: tr}).Get("http://" + l.Addr().String() + "/x")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "hello /x" || time.Since(start) != 2*time.Second {
			t.Fatalf("%q after %v", b, time.Since(start))
		}
	})
}
