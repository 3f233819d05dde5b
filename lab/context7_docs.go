package lab

import (
	"fmt"
	"sort"
	"strings"
)

// c7Lib is one library of the stand-in's small catalog: what the Context7 API
// would return for a search and for a docs query.
type c7Lib struct {
	title, id, description string
	snippets               int
	reputation             float64 // trustScore 0..10
	benchmark              float64
	versions               []string
	aliases                []string // other names it is found by
	docs                   string
}

// format is formatSearchResult of the real server.
func (l c7Lib) format() string {
	lines := []string{
		"- Title: " + l.title,
		"- Context7-compatible library ID: " + l.id,
		"- Description: " + l.description,
		fmt.Sprintf("- Code Snippets: %d", l.snippets),
		"- Source Reputation: " + c7ReputationLabel(l.reputation),
	}
	if l.benchmark > 0 {
		lines = append(lines, fmt.Sprintf("- Benchmark Score: %g", l.benchmark))
	}
	if len(l.versions) > 0 {
		lines = append(lines, "- Versions: "+strings.Join(l.versions, ", "))
	}
	return strings.Join(lines, "\n")
}

func c7ReputationLabel(score float64) string {
	switch {
	case score < 0:
		return "Unknown"
	case score >= 7:
		return "High"
	case score >= 4:
		return "Medium"
	}
	return "Low"
}

func c7Normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// c7Search finds libraries by name: exact (normalised) matches first, then
// names containing the query.
func c7Search(name string) []c7Lib {
	q := c7Normalize(name)
	if q == "" {
		return nil
	}
	type hit struct {
		lib  c7Lib
		rank int
	}
	var hits []hit
	for _, lib := range c7Catalog {
		names := append([]string{lib.title, lib.id}, lib.aliases...)
		best := -1
		for _, n := range names {
			switch nn := c7Normalize(n); {
			case nn == q:
				best = 2
			case strings.Contains(nn, q) && best < 1:
				best = 1
			}
		}
		if best >= 0 {
			hits = append(hits, hit{lib, best})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].rank > hits[j].rank })
	out := make([]c7Lib, len(hits))
	for i, h := range hits {
		out[i] = h.lib
	}
	return out
}

// c7Library finds a library by its Context7 id, with or without a version.
func c7Library(id string) (c7Lib, bool) {
	for _, lib := range c7Catalog {
		if id == lib.id || strings.HasPrefix(id, lib.id+"/") {
			return lib, true
		}
	}
	return c7Lib{}, false
}

const c7Separator = "\n\n--------------------------------\n\n"

var c7Catalog = []c7Lib{
	{
		title: "Next.js", id: "/vercel/next.js",
		description: "Next.js enables you to create full-stack web applications by extending the latest React features and integrating powerful Rust-based JavaScript tooling for the fastest builds.",
		snippets:    3312, reputation: 10, benchmark: 89.4,
		versions: []string{"v14.3.0-canary.87", "v15.1.8", "v16.0.3"},
		aliases:  []string{"nextjs", "next"},
		docs: strings.Join([]string{
			"### Dynamic Route Segments in the App Router\n\nSource: https://github.com/vercel/next.js/blob/canary/docs/01-app/03-api-reference/03-file-conventions/dynamic-routes.mdx\n\nWrap a folder name in square brackets to create a dynamic segment. The value is passed to the page as `params`, which is a Promise in Next.js 15 and later.\n\n```tsx\n// app/blog/[slug]/page.tsx\nexport default async function Page({\n  params,\n}: {\n  params: Promise<{ slug: string }>\n}) {\n  const { slug } = await params\n  return <h1>My Post: {slug}</h1>\n}\n```",
			"### Generating Static Params\n\nSource: https://github.com/vercel/next.js/blob/canary/docs/01-app/03-api-reference/04-functions/generate-static-params.mdx\n\nUse `generateStaticParams` with dynamic route segments to statically generate routes at build time instead of on demand at request time.\n\n```tsx\nexport async function generateStaticParams() {\n  const posts = await fetch('https://.../posts').then((res) => res.json())\n  return posts.map((post) => ({ slug: post.slug }))\n}\n```",
			"### Route Handlers\n\nSource: https://github.com/vercel/next.js/blob/canary/docs/01-app/03-api-reference/03-file-conventions/route.mdx\n\nRoute Handlers let you create custom request handlers for a route using the Web Request and Response APIs.\n\n```ts\n// app/api/route.ts\nexport async function GET(request: Request) {\n  return Response.json({ message: 'Hello World' })\n}\n```",
		}, c7Separator),
	},
	{
		title: "React", id: "/reactjs/react.dev",
		description: "React is a JavaScript library for building user interfaces; react.dev is its official documentation.",
		snippets:    2741, reputation: 10, benchmark: 86.1,
		aliases: []string{"reactjs", "react.dev"},
		docs: strings.Join([]string{
			"### Cleaning up an Effect\n\nSource: https://github.com/reactjs/react.dev/blob/main/src/content/reference/react/useEffect.md\n\nReturn a cleanup function from your Effect. React calls it before the Effect runs again and when the component unmounts.\n\n```jsx\nuseEffect(() => {\n  const connection = createConnection(serverUrl, roomId);\n  connection.connect();\n  return () => {\n    connection.disconnect();\n  };\n}, [serverUrl, roomId]);\n```",
			"### Updating state based on the previous state\n\nSource: https://github.com/reactjs/react.dev/blob/main/src/content/reference/react/useState.md\n\nPass an updater function instead of the next state to compute it from the pending state.\n\n```jsx\nfunction handleClick() {\n  setAge(a => a + 1);\n  setAge(a => a + 1);\n}\n```",
		}, c7Separator),
	},
	{
		title: "Express", id: "/expressjs/express",
		description: "Fast, unopinionated, minimalist web framework for Node.js.",
		snippets:    412, reputation: 9.1, benchmark: 78.3,
		versions: []string{"v4.21.2", "v5.1.0"},
		aliases:  []string{"express.js", "expressjs"},
		docs: strings.Join([]string{
			"### Basic routing\n\nSource: https://github.com/expressjs/express/blob/master/Readme.md\n\nDefine a route with a method of the app instance, a path and a handler.\n\n```js\nconst express = require('express')\nconst app = express()\n\napp.get('/', (req, res) => {\n  res.send('Hello World')\n})\n\napp.listen(3000)\n```",
			"### Error-handling middleware\n\nSource: https://github.com/expressjs/express/blob/master/examples/error/index.js\n\nError-handling middleware takes four arguments; Express recognises it by its arity.\n\n```js\napp.use((err, req, res, next) => {\n  console.error(err.stack)\n  res.status(500).send('Something broke!')\n})\n```",
		}, c7Separator),
	},
	{
		title: "Prisma", id: "/prisma/docs",
		description: "Prisma is a next-generation ORM for Node.js and TypeScript: schema, migrations and a type-safe query client.",
		snippets:    5127, reputation: 9.6, benchmark: 84.7,
		aliases: []string{"prisma orm"},
		docs: strings.Join([]string{
			"### Defining a relation\n\nSource: https://github.com/prisma/docs/blob/main/content/200-orm/100-prisma-schema/20-data-model/20-relations/index.mdx\n\nA one-to-many relation between User and Post.\n\n```prisma\nmodel User {\n  id    Int    @id @default(autoincrement())\n  posts Post[]\n}\n\nmodel Post {\n  id       Int  @id @default(autoincrement())\n  author   User @relation(fields: [authorId], references: [id])\n  authorId Int\n}\n```",
			"### Querying with relations\n\nSource: https://github.com/prisma/docs/blob/main/content/200-orm/200-prisma-client/100-queries/035-select-fields.mdx\n\n```ts\nconst users = await prisma.user.findMany({\n  include: { posts: true },\n})\n```",
		}, c7Separator),
	},
	{
		title: "MongoDB", id: "/mongodb/docs",
		description: "The MongoDB documentation: the document database, its query language, indexes and aggregation.",
		snippets:    9530, reputation: 9.4, benchmark: 80.2,
		aliases: []string{"mongo"},
		docs: strings.Join([]string{
			"### Query documents with a filter\n\nSource: https://github.com/mongodb/docs/blob/master/source/tutorial/query-documents.txt\n\n```js\ndb.inventory.find( { status: \"A\", qty: { $lt: 30 } } )\n```",
			"### Create an index\n\nSource: https://github.com/mongodb/docs/blob/master/source/indexes.txt\n\n```js\ndb.collection.createIndex( { name: -1 } )\n```",
		}, c7Separator),
	},
}
