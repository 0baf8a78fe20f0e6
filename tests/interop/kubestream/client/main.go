// kstream-client: drives berth's CRI streaming server the way the kubelet's
// proxy, crictl and kubectl do, with the libraries they use underneath
// (moby/spdystream for SPDY/3.1, gorilla/websocket), against
// kubestream-test-server and its fake runtime. Each check prints "ok NAME"
// or fails the run with what differed.
//
//	kstream-client /path/to/kubestream-test-server
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/docker/spdystream"
	"github.com/gorilla/websocket"
)

type testServer struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	base string
}

func startServer(path string) *testServer {
	cmd := exec.Command(path)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	check(err)
	out, err := cmd.StdoutPipe()
	check(err)
	check(cmd.Start())
	s := &testServer{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line := s.line()
	if !strings.HasPrefix(line, "ready ") {
		fail("server said %q instead of ready", line)
	}
	s.base = strings.TrimPrefix(line, "ready ")
	return s
}

func (s *testServer) line() string {
	l, err := s.out.ReadString('\n')
	check(err)
	return strings.TrimSpace(l)
}

// url asks the server (as the CRI Exec/PortForward RPC would) for a streaming URL.
func (s *testServer) url(request string) string {
	_, err := fmt.Fprintln(s.in, request)
	check(err)
	l := s.line()
	if !strings.HasPrefix(l, s.base+"/") {
		fail("request %q: got %q, not a URL under %s", request, l, s.base)
	}
	return l
}

func (s *testServer) stop() {
	s.in.Close()
	check(s.cmd.Wait())
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

// upgrade sends the request kubectl/crictl send (POST, Upgrade: SPDY/3.1,
// X-Stream-Protocol-Version per protocol) and returns the connection and the answer.
func upgrade(rawURL string, protocols []string) (net.Conn, *http.Response) {
	u, err := url.Parse(rawURL)
	check(err)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	check(err)
	req, err := http.NewRequest("POST", rawURL, nil)
	check(err)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	for _, p := range protocols {
		req.Header.Add("X-Stream-Protocol-Version", p)
	}
	check(req.Write(conn))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	check(err)
	if resp.StatusCode == http.StatusSwitchingProtocols && br.Buffered() != 0 {
		fail("the server sent %d bytes after its upgrade answer, before any stream existed", br.Buffered())
	}
	return conn, resp
}

func spdyConnect(rawURL string, protocols []string, want string) *spdystream.Connection {
	conn, resp := upgrade(rawURL, protocols)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		fail("upgrade of %s: status %d (%s)", rawURL, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if got := resp.Header.Get("X-Stream-Protocol-Version"); got != want {
		fail("negotiated protocol %q, want %q", got, want)
	}
	sc, err := spdystream.NewConnection(conn, false)
	check(err)
	go sc.Serve(spdystream.NoOpStreamHandler)
	return sc
}

func createStream(c *spdystream.Connection, headers http.Header) *spdystream.Stream {
	s, err := c.CreateStream(headers, nil, false)
	check(err)
	check(s.WaitTimeout(10 * time.Second))
	return s
}

type status struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Details *struct {
		Causes []struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"causes"`
	} `json:"details"`
}

// exitCode reads a v4 status as the remotecommand client does: Success -> 0,
// NonZeroExitCode -> the ExitCode cause, anything else an error text.
func exitCode(raw []byte) (int, string) {
	var st status
	if err := json.Unmarshal(raw, &st); err != nil {
		fail("error stream is not a Status: %q (%v)", raw, err)
	}
	if st.Status == "Success" {
		return 0, ""
	}
	if st.Status == "Failure" && st.Reason == "NonZeroExitCode" && st.Details != nil {
		for _, c := range st.Details.Causes {
			if c.Reason == "ExitCode" {
				var n int
				fmt.Sscanf(c.Message, "%d", &n)
				return n, ""
			}
		}
	}
	return -1, st.Reason + ": " + st.Message
}

func readAllAsync(r io.Reader) func() string {
	var wg sync.WaitGroup
	var buf bytes.Buffer
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(&buf, r)
	}()
	return func() string { wg.Wait(); return buf.String() }
}

// closeStdin half-closes stdin as kubectl does, ignoring the error as it does:
// spdystream writes a DATA frame in pieces (header, then the empty payload),
// and a server that answers the FIN at once (command done, GOAWAY) can close
// the connection between the two; the FIN itself has arrived.
func closeStdin(in *spdystream.Stream) {
	in.Close()
}

func streamHeaders(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func execSpdy(s *testServer) {
	u := s.url("exec c1 0 1 1 1 echo-stdin 3")
	c := spdyConnect(u, []string{"v4.channel.k8s.io", "v3.channel.k8s.io"}, "v4.channel.k8s.io")
	errS := createStream(c, streamHeaders("streamType", "error"))
	in := createStream(c, streamHeaders("streamType", "stdin"))
	out := createStream(c, streamHeaders("streamType", "stdout"))
	errOut := createStream(c, streamHeaders("streamType", "stderr"))
	stdout, stderr, errText := readAllAsync(out), readAllAsync(errOut), readAllAsync(errS)
	_, err := in.Write([]byte("hello world"))
	check(err)
	closeStdin(in)
	if got := stdout(); got != "hello world" {
		fail("spdy exec stdout %q", got)
	}
	if got := stderr(); got != "err:11\n" {
		fail("spdy exec stderr %q", got)
	}
	code, why := exitCode([]byte(errText()))
	if code != 3 {
		fail("spdy exec exit code %d (%s), want 3", code, why)
	}
	c.Close()
	fmt.Println("ok spdy_exec_v4_stdin_stdout_stderr_exit_code")
}

// execSpdyLarge streams 3 MiB through stdin and back while both directions are busy.
func execSpdyLarge(s *testServer) {
	u := s.url("exec c1 0 1 1 0 echo-stdin 0")
	c := spdyConnect(u, []string{"v4.channel.k8s.io"}, "v4.channel.k8s.io")
	errS := createStream(c, streamHeaders("streamType", "error"))
	in := createStream(c, streamHeaders("streamType", "stdin"))
	out := createStream(c, streamHeaders("streamType", "stdout"))
	stdout, errText := readAllAsync(out), readAllAsync(errS)
	payload := make([]byte, 3<<20)
	for i := range payload {
		payload[i] = byte(i*31 + i>>11)
	}
	for off := 0; off < len(payload); off += 50000 {
		end := off + 50000
		if end > len(payload) {
			end = len(payload)
		}
		_, err := in.Write(payload[off:end])
		check(err)
	}
	closeStdin(in)
	if got := stdout(); got != string(payload) {
		fail("spdy exec of 3 MiB: got %d bytes back, equal=%v", len(got), got == string(payload))
	}
	if code, why := exitCode([]byte(errText())); code != 0 {
		fail("spdy exec of 3 MiB: exit %d (%s)", code, why)
	}
	c.Close()
	fmt.Println("ok spdy_exec_3mib_both_ways")
}

// execSpdyConcurrent runs eight sessions on one server at once.
func execSpdyConcurrent(s *testServer) {
	const n = 8
	urls := make([]string, n)
	for i := range urls {
		urls[i] = s.url(fmt.Sprintf("exec c%d 0 1 1 1 echo-stdin %d", i, i+1))
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i, u := range urls {
		wg.Add(1)
		go func(i int, u string) {
			defer wg.Done()
			c := spdyConnect(u, []string{"v4.channel.k8s.io"}, "v4.channel.k8s.io")
			defer c.Close()
			errS := createStream(c, streamHeaders("streamType", "error"))
			in := createStream(c, streamHeaders("streamType", "stdin"))
			out := createStream(c, streamHeaders("streamType", "stdout"))
			errOut := createStream(c, streamHeaders("streamType", "stderr"))
			stdout, stderr, errText := readAllAsync(out), readAllAsync(errOut), readAllAsync(errS)
			msg := strings.Repeat(fmt.Sprintf("session %d;", i), 1000)
			if _, err := in.Write([]byte(msg)); err != nil {
				errs <- err.Error()
				return
			}
			closeStdin(in)
			if got := stdout(); got != msg {
				errs <- fmt.Sprintf("session %d: stdout of %d bytes, want %d", i, len(got), len(msg))
			}
			if got := stderr(); got != fmt.Sprintf("err:%d\n", len(msg)) {
				errs <- fmt.Sprintf("session %d: stderr %q", i, got)
			}
			if code, why := exitCode([]byte(errText())); code != i+1 {
				errs <- fmt.Sprintf("session %d: exit %d (%s), want %d", i, code, why, i+1)
			}
		}(i, u)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		fail("concurrent exec: %s", e)
	}
	fmt.Println("ok spdy_exec_8_concurrent_sessions")
}

func execSpdyTty(s *testServer) {
	u := s.url("exec c1 1 1 1 0 echo-stdin 0")
	c := spdyConnect(u, []string{"v4.channel.k8s.io"}, "v4.channel.k8s.io")
	errS := createStream(c, streamHeaders("streamType", "error"))
	in := createStream(c, streamHeaders("streamType", "stdin"))
	out := createStream(c, streamHeaders("streamType", "stdout"))
	resize := createStream(c, streamHeaders("streamType", "resize"))
	stdout, errText := readAllAsync(out), readAllAsync(errS)
	check(json.NewEncoder(resize).Encode(map[string]uint16{"Width": 100, "Height": 40}))
	_, err := in.Write([]byte("tty-data\n"))
	check(err)
	closeStdin(in)
	got := stdout()
	if !strings.Contains(got, "resize 40x100\n") || !strings.Contains(got, "tty-data\n") {
		fail("spdy tty exec stdout %q: want the resize and the input", got)
	}
	if code, why := exitCode([]byte(errText())); code != 0 {
		fail("spdy tty exec: exit %d (%s), want success", code, why)
	}
	c.Close()
	fmt.Println("ok spdy_exec_v4_tty_resize")
}

func execSpdyErrors(s *testServer) {
	// A runtime error becomes a Failure status with its message.
	u := s.url("exec missing 0 0 1 0 fail")
	c := spdyConnect(u, []string{"v4.channel.k8s.io"}, "v4.channel.k8s.io")
	errS := createStream(c, streamHeaders("streamType", "error"))
	out := createStream(c, streamHeaders("streamType", "stdout"))
	stdout, errText := readAllAsync(out), readAllAsync(errS)
	if got := stdout(); got != "" {
		fail("failed exec wrote %q", got)
	}
	code, why := exitCode([]byte(errText()))
	if code != -1 || !strings.Contains(why, "container missing not found") || !strings.HasPrefix(why, "InternalError") {
		fail("runtime error: code %d, %q", code, why)
	}
	c.Close()
	fmt.Println("ok spdy_exec_runtime_error_status")

	// v2: the error stream carries text, and nothing on success.
	u = s.url("exec c1 0 0 1 0 exit 5")
	c = spdyConnect(u, []string{"v2.channel.k8s.io"}, "v2.channel.k8s.io")
	errS = createStream(c, streamHeaders("streamType", "error"))
	out = createStream(c, streamHeaders("streamType", "stdout"))
	stdout, errText = readAllAsync(out), readAllAsync(errS)
	stdout()
	if got := errText(); got != "command terminated with non-zero exit code: exit status 5" {
		fail("v2 error stream %q", got)
	}
	c.Close()
	fmt.Println("ok spdy_exec_v2_text_error")

	// No common protocol: 403 with the accepted ones; the token is spent.
	u = s.url("exec c1 0 0 1 0 exit 0")
	_, resp := upgrade(u, []string{"v9.channel.k8s.io"})
	if resp.StatusCode != http.StatusForbidden || len(resp.Header["X-Accepted-Stream-Protocol-Versions"]) == 0 {
		fail("unknown protocol: status %d, accepted %v", resp.StatusCode, resp.Header["X-Accepted-Stream-Protocol-Versions"])
	}
	fmt.Println("ok spdy_protocol_negotiation_refused")

	// Single use: the second upgrade on a URL is a 404, as is a made-up token.
	u = s.url("exec c1 0 0 1 0 exit 0")
	c = spdyConnect(u, []string{"v4.channel.k8s.io"}, "v4.channel.k8s.io")
	errS = createStream(c, streamHeaders("streamType", "error"))
	out = createStream(c, streamHeaders("streamType", "stdout"))
	stdout, errText = readAllAsync(out), readAllAsync(errS)
	stdout()
	errText()
	c.Close()
	for _, again := range []string{u, s.base + "/exec/AAAAAAAAAAAAAAAAAAAAAA"} {
		_, resp = upgrade(again, []string{"v4.channel.k8s.io"})
		if resp.StatusCode != http.StatusNotFound {
			fail("reused/unknown token %s: status %d, want 404", again, resp.StatusCode)
		}
	}
	fmt.Println("ok token_single_use_404")
}

func portForwardSpdy(s *testServer) {
	u := s.url("portforward pod1")
	c := spdyConnect(u, []string{"portforward.k8s.io"}, "portforward.k8s.io")
	type result struct{ data, errText string }
	forward := func(id, port, send string, halfClose bool, want int) result {
		errS := createStream(c, streamHeaders("streamType", "error", "port", port, "requestID", id))
		errS.Close() // as kubectl: the client never writes on the error stream
		data := createStream(c, streamHeaders("streamType", "data", "port", port, "requestID", id))
		errText := readAllAsync(errS)
		if send != "" {
			_, err := data.Write([]byte(send))
			check(err)
		}
		if halfClose {
			check(data.Close())
			return result{readAllAsync(data)(), errText()}
		}
		buf := make([]byte, want)
		_, err := io.ReadFull(data, buf)
		check(err)
		data.Close()
		return result{string(buf), ""}
	}
	if r := forward("0", "2000", "abc", true, 0); r.data != "2000:ABC" || r.errText != "" {
		fail("spdy port forward 2000: %+v", r)
	}
	if r := forward("1", "1000", "echo me", false, 7); r.data != "echo me" {
		fail("spdy port forward 1000: %+v", r)
	}
	if r := forward("2", "9", "", true, 0); !strings.Contains(r.errText, "error forwarding port 9 to pod pod1") || r.data != "" {
		fail("spdy port forward to a refused port: %+v", r)
	}
	c.Close()
	fmt.Println("ok spdy_port_forward")
}

func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") }

// readChannels collects channel messages until the server closes the socket.
func readChannels(ws *websocket.Conn) map[byte]string {
	got := map[byte]string{}
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				return got
			}
			fail("websocket read: %v", err)
		}
		if len(msg) == 0 {
			fail("websocket message without a channel byte")
		}
		got[msg[0]] += string(msg[1:])
	}
}

func execWebSocket(s *testServer) {
	u := s.url("exec c1 0 1 1 1 line 7")
	d := websocket.Dialer{Subprotocols: []string{"v4.channel.k8s.io"}, HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial(wsURL(u), nil)
	check(err)
	if resp.Header.Get("Sec-WebSocket-Protocol") != "v4.channel.k8s.io" {
		fail("websocket protocol %q", resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	// The first message is an empty one on stdout: the session is up.
	_, first, err := ws.ReadMessage()
	check(err)
	if !bytes.Equal(first, []byte{1}) {
		fail("first websocket message %v, want [1]", first)
	}
	check(ws.WriteMessage(websocket.BinaryMessage, append([]byte{0}, "hi there\nnot read\n"...)))
	got := readChannels(ws)
	if got[1] != "hi there\n" || got[2] != "err\n" {
		fail("websocket exec output %q", got)
	}
	if code, why := exitCode([]byte(got[3])); code != 7 {
		fail("websocket exec exit %d (%s), want 7", code, why)
	}
	ws.Close()
	fmt.Println("ok websocket_exec_v4")
}

func portForwardWebSocket(s *testServer) {
	u := s.url("portforward pod1")
	d := websocket.Dialer{Subprotocols: []string{"v4.channel.k8s.io"}, HandshakeTimeout: 5 * time.Second}
	ws, _, err := d.Dial(wsURL(u)+"?port=1000&port=2000", nil)
	check(err)
	// Each channel's first message is its port, little-endian.
	seen := map[byte]uint16{}
	for i := 0; i < 4; i++ {
		_, m, err := ws.ReadMessage()
		check(err)
		if len(m) != 3 {
			fail("port message %v", m)
		}
		seen[m[0]] = binary.LittleEndian.Uint16(m[1:])
	}
	if seen[0] != 1000 || seen[1] != 1000 || seen[2] != 2000 || seen[3] != 2000 {
		fail("port messages %v", seen)
	}
	check(ws.WriteMessage(websocket.BinaryMessage, append([]byte{0}, "ping over ws"...)))
	echoed := ""
	for len(echoed) < len("ping over ws") {
		_, m, err := ws.ReadMessage()
		check(err)
		if m[0] != 0 {
			fail("unexpected message on channel %d: %q", m[0], m[1:])
		}
		echoed += string(m[1:])
	}
	if echoed != "ping over ws" {
		fail("websocket port forward echoed %q", echoed)
	}
	check(ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")))
	// The server answers the close and ends the session.
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				fail("after close: %v", err)
			}
			break
		}
	}
	ws.Close()
	fmt.Println("ok websocket_port_forward")
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: kstream-client KUBESTREAM_TEST_SERVER")
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(120 * time.Second):
			fail("timed out (a stream never ended)")
		}
	}()
	s := startServer(os.Args[1])
	execSpdy(s)
	execSpdyLarge(s)
	execSpdyConcurrent(s)
	execSpdyTty(s)
	execSpdyErrors(s)
	portForwardSpdy(s)
	execWebSocket(s)
	portForwardWebSocket(s)
	s.stop()
	close(done)
}
