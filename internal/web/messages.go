package web

import (
	"fmt"
	"net/http"
	"strings"
)

// message is a user-facing answer in Czech and English.
type message struct{ cs, en string }

var (
	msgDenied      = message{"Přístup odepřen.", "Access denied."}
	msgBusy        = message{"Export pro tohoto partnera již probíhá. Zkuste to znovu po jeho dokončení.", "An export for this partner is already running. Try again when it has finished."}
	msgRateLimited = message{"Příliš mnoho neúspěšných pokusů z této adresy. Zkuste to později.", "Too many failed attempts from this address. Try again later."}
	msgMethod      = message{"Metoda není povolena; použijte GET.", "Method not allowed; use GET."}
	msgNotFound    = message{"Stránka nenalezena.", "Not found."}
	msgTooLong     = message{"Adresa je příliš dlouhá.", "The address is too long."}
	msgCrossOrigin = message{"Požadavek z jiného webu byl odmítnut.", "A request from another site was refused."}
	msgFailed      = message{"Export se nepodařil. Zkuste to prosím znovu.", "The export failed. Please try again."}
)

func badParameter(name, detail string) message {
	return message{
		cs: fmt.Sprintf("Neplatný parametr %s: %s", name, detail),
		en: fmt.Sprintf("Invalid parameter %s: %s", name, detail),
	}
}

// prefersEnglish reads Accept-Language: English when an English tag comes before any Czech or
// Slovak one; Czech otherwise, the shop's language.
func prefersEnglish(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(tag)
		switch {
		case strings.HasPrefix(tag, "en"):
			return true
		case strings.HasPrefix(tag, "cs"), strings.HasPrefix(tag, "sk"):
			return false
		}
	}
	return false
}

// answer writes a plain-text message with the status.
func answer(w http.ResponseWriter, r *http.Request, status int, m message) {
	h := w.Header()
	h.Del("Content-Disposition")
	h.Del("Content-Encoding")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if prefersEnglish(r) {
		h.Set("Content-Language", "en")
	} else {
		h.Set("Content-Language", "cs")
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	text := m.cs
	if prefersEnglish(r) {
		text = m.en
	}
	w.Write([]byte(text + "\n"))
}
