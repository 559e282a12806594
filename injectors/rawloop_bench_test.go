package injectors_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"sync"
)

// serveRawLoop: the floor of an HTTP-aware proxy: a request head and a
// response head are found and forwarded as raw bytes, bodies by
// Content-Length; nothing else is parsed.
func serveRawLoop(ln net.Listener, upstream string) (stop func()) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	track := func(c net.Conn) {
		mu.Lock()
		conns[c] = true
		mu.Unlock()
	}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				_ = c.Close()
				continue
			}
			track(c)
			track(u)
			wg.Go(func() {
				defer c.Close()
				defer u.Close()
				cr, cw := bufio.NewReaderSize(c, 16<<10), bufio.NewWriterSize(c, 16<<10)
				ur, uw := bufio.NewReaderSize(u, 16<<10), bufio.NewWriterSize(u, 16<<10)
				for {
					if rawMessage(cr, uw) != nil || uw.Flush() != nil {
						return
					}
					if rawMessage(ur, cw) != nil || cw.Flush() != nil {
						return
					}
				}
			})
		}
	})
	return func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

var clKey = []byte("\r\ncontent-length:")

func rawMessage(r *bufio.Reader, w *bufio.Writer) error {
	var cl int64
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) > len(clKey)-2 && bytes.EqualFold(line[:len(clKey)-2], clKey[2:]) {
			cl, _ = strconv.ParseInt(string(bytes.TrimSpace(line[len(clKey)-2:])), 10, 64)
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
	}
	if cl > 0 {
		_, err := io.CopyN(w, r, cl)
		return err
	}
	return nil
}
