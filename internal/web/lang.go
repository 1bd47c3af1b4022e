package web

import (
	"net/http"

	"github.com/custexport/custexport/internal/i18n"
)

// langCookie remembers the language chosen with the admin UI's switch.
const langCookie = "custexport_lang"

// requestLang is the language of an answer: the remembered choice, else Accept-Language, else
// Czech.
func requestLang(r *http.Request) i18n.Lang {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := i18n.Parse(c.Value); ok {
			return l
		}
	}
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// message is a text of the partner URL's answers: an i18n key and its arguments.
type message struct {
	key  string
	args []any
}

var (
	msgDenied      = message{key: "url.denied"}
	msgBusy        = message{key: "url.busy"}
	msgRateLimited = message{key: "url.ratelimited"}
	msgMethod      = message{key: "url.method"}
	msgNotFound    = message{key: "url.notfound"}
	msgTooLong     = message{key: "url.toolong"}
	msgCrossOrigin = message{key: "url.crossorigin"}
	msgFailed      = message{key: "url.failed"}
	msgTooSlow     = message{key: "url.tooslow"}
	msgTooLarge    = message{key: "url.toolarge"}
	msgBadForm     = message{key: "url.badform"}
)

// badParameter says which parameter of a genuine link is malformed, and how.
func badParameter(name, detail string) message {
	return message{key: "url.badparam", args: []any{name, detail}}
}

// answer writes a plain-text message with the status: the partner URL's answers, which a
// partner's script or a browser reads. Only Accept-Language chooses the language here; the
// cookie is the admin UI's.
func answer(w http.ResponseWriter, r *http.Request, status int, m message) {
	l := i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
	h := w.Header()
	h.Del("Content-Disposition")
	h.Del("Content-Encoding")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", string(l))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	w.Write([]byte(l.T(m.key, m.args...) + "\n"))
}
