// Command dsfrassets copies, from the DSFR package installed by npm
// (node_modules/@gouvfr/dsfr, pinned by package-lock.json), only the files the
// portal's pages use into web/static/dsfr, which the binary embeds. The
// package's whole dist folder is 88 MB; what is copied is about 2 MB.
//
// Usage: go run ./tools/dsfrassets [-src node_modules/@gouvfr/dsfr/dist] [-dst web/static/dsfr]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	src := flag.String("src", "node_modules/@gouvfr/dsfr/dist", "DSFR dist folder")
	dst := flag.String("dst", "web/static/dsfr", "output folder")
	iconList := flag.String("icons", "web/static/icons.txt", "utility icons used by the pages, one name a line")
	flag.Parse()
	if err := run(*src, *dst, *iconList); err != nil {
		fmt.Fprintln(os.Stderr, "dsfrassets:", err)
		os.Exit(1)
	}
}

var urlRE = regexp.MustCompile(`url\((icons/[^)"']+\.svg)\)`)

func run(src, dst, iconList string) error {
	if _, err := os.Stat(filepath.Join(src, "dsfr.min.css")); err != nil {
		return fmt.Errorf("DSFR not found in %s: run `npm ci --ignore-scripts` first (%v)", src, err)
	}
	tmp := dst + ".tmp"
	os.RemoveAll(tmp)
	files := []string{"dsfr.min.css", "dsfr.module.min.js", "dsfr.nomodule.min.js"}
	for _, dir := range []string{"fonts", "favicon"} {
		ents, err := os.ReadDir(filepath.Join(src, dir))
		if err != nil {
			return err
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".woff2") || dir == "favicon" {
				files = append(files, dir+"/"+e.Name())
			}
		}
	}
	css, err := os.ReadFile(filepath.Join(src, "dsfr.min.css"))
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, m := range urlRE.FindAllStringSubmatch(string(css), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			files = append(files, m[1])
		}
	}
	// Utility icons the pages use: their rules from icons.min.css, rewritten
	// to the copied svg files.
	names, err := readLines(iconList)
	if err != nil {
		return err
	}
	utility, err := os.ReadFile(filepath.Join(src, "utility/icons/icons.min.css"))
	if err != nil {
		return err
	}
	var icons strings.Builder
	for _, name := range names {
		re := regexp.MustCompile(`\.` + regexp.QuoteMeta(name) + `:after,\.` + regexp.QuoteMeta(name) + `:before\{-webkit-mask-image:url\(\.\./\.\./(icons/[^)]+)\);mask-image:url\(\.\./\.\./icons/[^)]+\)\}`)
		m := re.FindStringSubmatch(string(utility))
		if m == nil {
			return fmt.Errorf("icon %s not found in icons.min.css", name)
		}
		fmt.Fprintf(&icons, ".%s:after,.%s:before{-webkit-mask-image:url(%s);mask-image:url(%s)}\n", name, name, m[1], m[1])
		if !seen[m[1]] {
			seen[m[1]] = true
			files = append(files, m[1])
		}
	}
	for _, f := range files {
		if err := copyFile(filepath.Join(src, f), filepath.Join(tmp, f)); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "icons.css"), []byte(icons.String()), 0o644); err != nil {
		return err
	}
	os.RemoveAll(dst)
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	fmt.Printf("dsfrassets: %d files copied to %s\n", len(files)+1, dst)
	return nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
