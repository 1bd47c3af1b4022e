package xlsxread

import (
	"bufio"
	"encoding/xml"
	"errors"
	"io"
)

// xmlToken is one token of a part: a start tag, an end tag or text (valid until the next).
type xmlToken struct {
	start *xml.StartElement
	end   *xml.Name
	text  []byte
}

// tokens reads a part's XML as a stream of tokens, each at most MaxToken bytes: encoding/xml
// holds a whole token in memory (a text up to the next '<'), so the bytes it takes between two
// tokens are counted and a longer token is refused while it is read.
type tokens struct {
	dec   *xml.Decoder
	in    *bounded
	rc    io.Closer
	name  string
	start xml.StartElement
	end   xml.Name
}

type bounded struct {
	r       *bufio.Reader
	n, mark int64
}

var errTokenTooLarge = errors.New("token too large")

func (b *bounded) ReadByte() (byte, error) {
	if b.n-b.mark >= MaxToken {
		return 0, errTokenTooLarge
	}
	c, err := b.r.ReadByte()
	if err == nil {
		b.n++
	}
	return c, err
}

// Read is never called by encoding/xml, which takes the io.ByteReader; it is here to make one.
func (b *bounded) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c, err := b.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = c
	return 1, nil
}

func (w *Workbook) tokens(name string) (*tokens, error) {
	rc, err := w.open(name)
	if err != nil {
		return nil, err
	}
	in := &bounded{r: bufio.NewReaderSize(rc, 64<<10)}
	dec := xml.NewDecoder(in)
	return &tokens{dec: dec, in: in, rc: rc, name: name}, nil
}

// next returns the next token; io.EOF at the end of the part.
func (t *tokens) next() (xmlToken, error) {
	t.in.mark = t.in.n
	tok, err := t.dec.RawToken()
	if err != nil {
		var e *Error
		switch {
		case err == io.EOF:
			return xmlToken{}, io.EOF
		case errors.Is(err, errTokenTooLarge):
			return xmlToken{}, fail(TooLarge, "%s holds a piece of XML (a cell's text?) longer than %d KiB", t.name, MaxToken>>10)
		case errors.As(err, &e):
			return xmlToken{}, e
		}
		return xmlToken{}, fail(Broken, "%s: %v", t.name, err)
	}
	switch v := tok.(type) {
	case xml.StartElement:
		t.start = v
		return xmlToken{start: &t.start}, nil
	case xml.EndElement:
		t.end = v.Name
		return xmlToken{end: &t.end}, nil
	case xml.CharData:
		return xmlToken{text: v}, nil
	}
	return xmlToken{}, nil // comments, processing instructions, directives
}

func (t *tokens) close() { t.rc.Close() }

// scan calls fn with every token of a part.
func (w *Workbook) scan(name string, fn func(xmlToken) error) error {
	t, err := w.tokens(name)
	if err != nil {
		return err
	}
	defer t.close()
	for {
		tok, err := t.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(tok); err != nil {
			return err
		}
	}
}

func attr(e *xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
