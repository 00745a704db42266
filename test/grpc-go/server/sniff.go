package main

import (
	"encoding/binary"
	"net"
	"sync"

	"golang.org/x/net/http2"
)

// sniffingListener counts connections and watches the HTTP/2 frames on them (plaintext h2c
// only): the GOAWAY and RST_STREAM frames the server sends, the PINGs the client sends. grpc-go
// reports none of these, and they are what the transport tests are about.
type sniffingListener struct {
	net.Listener
	c *counters
}

func (l *sniffingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.c.connection(true)
	// The client's side starts with the 24-byte connection preface, then frames.
	return &sniffingConn{Conn: conn, c: l.c, in: frameParser{skip: len(http2.ClientPreface)}}, nil
}

type sniffingConn struct {
	net.Conn
	c         *counters
	inMu      sync.Mutex
	in        frameParser
	outMu     sync.Mutex
	out       frameParser
	closeOnce sync.Once
}

func (s *sniffingConn) Read(p []byte) (int, error) {
	n, err := s.Conn.Read(p)
	s.inMu.Lock()
	s.in.feed(p[:n], func(typ http2.FrameType, flags http2.Flags, _ []byte) {
		if typ == http2.FramePing && !flags.Has(http2.FlagPingAck) {
			s.c.pingReceived()
		}
	})
	s.inMu.Unlock()
	return n, err
}

func (s *sniffingConn) Write(p []byte) (int, error) {
	n, err := s.Conn.Write(p)
	s.outMu.Lock()
	s.out.feed(p[:n], func(typ http2.FrameType, _ http2.Flags, payload []byte) {
		switch {
		case typ == http2.FrameGoAway && len(payload) >= 8:
			detail := http2.ErrCode(binary.BigEndian.Uint32(payload[4:8])).String()
			if len(payload) > 8 {
				detail += ":" + string(payload[8:])
			}
			s.c.frameSent("GOAWAY", detail)
		case typ == http2.FrameRSTStream && len(payload) >= 4:
			s.c.frameSent("RST_STREAM", http2.ErrCode(binary.BigEndian.Uint32(payload[:4])).String())
		}
	})
	s.outMu.Unlock()
	return n, err
}

func (s *sniffingConn) Close() error {
	s.closeOnce.Do(func() { s.c.connection(false) })
	return s.Conn.Close()
}

// frameParser splits a byte stream into HTTP/2 frames as it arrives, keeping the first bytes of
// the payloads of the frame types it reports (GOAWAY, RST_STREAM, PING).
type frameParser struct {
	skip      int
	header    [9]byte
	headerLen int
	remaining int
	payload   []byte
}

const keptPayloadBytes = 256

func (f *frameParser) feed(p []byte, on func(http2.FrameType, http2.Flags, []byte)) {
	for len(p) > 0 {
		if f.skip > 0 {
			n := min(f.skip, len(p))
			f.skip -= n
			p = p[n:]
			continue
		}
		if f.headerLen < len(f.header) {
			n := copy(f.header[f.headerLen:], p)
			f.headerLen += n
			p = p[n:]
			if f.headerLen < len(f.header) {
				return
			}
			f.remaining = int(f.header[0])<<16 | int(f.header[1])<<8 | int(f.header[2])
			f.payload = f.payload[:0]
		} else {
			n := min(f.remaining, len(p))
			if f.kept() && len(f.payload) < keptPayloadBytes {
				f.payload = append(f.payload, p[:min(n, keptPayloadBytes-len(f.payload))]...)
			}
			f.remaining -= n
			p = p[n:]
		}
		if f.remaining == 0 {
			on(http2.FrameType(f.header[3]), http2.Flags(f.header[4]), f.payload)
			f.headerLen = 0
		}
	}
}

func (f *frameParser) kept() bool {
	switch http2.FrameType(f.header[3]) {
	case http2.FrameGoAway, http2.FrameRSTStream, http2.FramePing:
		return true
	}
	return false
}
