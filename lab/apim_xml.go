package lab

import "strings"

// xmlEscapeText escapes text for element content.
func xmlEscapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

var xmlUnescaper = strings.NewReplacer("&quot;", `"`, "&apos;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&")

// rawXML turns a format=xml document into what ARM answers with
// format=rawxml: every policy expression (an attribute value or element
// text starting with @( or @{) unescaped, everything else as it was. The
// result need not be well-formed XML; that is why readers ask for xml.
func rawXML(doc string) string {
	var b strings.Builder
	b.Grow(len(doc))
	for i := 0; i < len(doc); {
		switch {
		case strings.HasPrefix(doc[i:], "<!--"):
			end := strings.Index(doc[i:], "-->")
			if end < 0 {
				b.WriteString(doc[i:])
				return b.String()
			}
			b.WriteString(doc[i : i+end+3])
			i += end + 3
		case doc[i] == '<':
			i = rawTag(&b, doc, i)
		default:
			end := strings.IndexByte(doc[i:], '<')
			if end < 0 {
				end = len(doc) - i
			}
			b.WriteString(rawIfExpression(doc[i : i+end]))
			i += end
		}
	}
	return b.String()
}

// rawTag copies one tag starting at doc[i], unescaping expression
// attribute values, and returns the index after it.
func rawTag(b *strings.Builder, doc string, i int) int {
	for i < len(doc) {
		c := doc[i]
		if c == '"' || c == '\'' {
			end := strings.IndexByte(doc[i+1:], c)
			if end < 0 {
				b.WriteString(doc[i:])
				return len(doc)
			}
			b.WriteByte(c)
			b.WriteString(rawIfExpression(doc[i+1 : i+1+end]))
			b.WriteByte(c)
			i += end + 2
			continue
		}
		b.WriteByte(c)
		i++
		if c == '>' {
			break
		}
	}
	return i
}

func rawIfExpression(s string) string {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "@(") || strings.HasPrefix(t, "@{") {
		return xmlUnescaper.Replace(s)
	}
	return s
}
