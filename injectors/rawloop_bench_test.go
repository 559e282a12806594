package injectors_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
)

// serveRawLoop serves the rawloop yardstick on ln (see BenchmarkProxies):
// a request head and a response head are found and forwarded as the bytes
// they came in, bodies by Content-Length; nothing else is parsed, so it
// only serves the benchmark's GETs. The returned func stops it.
func serveRawLoop(ln net.Listener, upstream string) (stop func()) {
	return serveConns(ln, upstream, func(c, u net.Conn) {
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
