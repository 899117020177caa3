package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"kairos"
	"kairos/catalogue"
	"kairos/config"
)

// lheoCmd runs "kairos lheo import|export".
func lheoCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	const usage = "usage : kairos lheo import [--source S] [--partiel] FICHIER | kairos lheo export [-o FICHIER]"
	if len(args) == 0 {
		return errors.New(usage)
	}
	db, _, err := openAccounts(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := &catalogue.Service{DB: db, Log: log}
	ctx = kairos.WithActor(ctx, kairos.System)
	switch args[0] {
	case "import":
		fs := flag.NewFlagSet("lheo import", flag.ContinueOnError)
		source := fs.String("source", catalogue.DefaultSource, "source du fichier (par exemple le Carif-Oref émetteur) : les sessions absentes d'un import complet de la même source sont retirées")
		partial := fs.Bool("partiel", false, "le fichier ne contient qu'une partie de l'offre de la source : ne retirer aucune session absente")
		fs.SetOutput(stderr)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New(usage)
		}
		return lheoImport(ctx, svc, fs.Arg(0), *source, *partial, stdout, stderr)
	case "export":
		fs := flag.NewFlagSet("lheo export", flag.ContinueOnError)
		out := fs.String("o", "", "fichier de sortie (sortie standard par défaut)")
		fs.SetOutput(stderr)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		var w io.Writer = stdout
		var f *os.File
		if *out != "" {
			if f, err = os.Create(*out); err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		n, skipped, err := svc.Export(ctx, bw)
		if err != nil {
			return cliError(err)
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if f != nil {
			if err := f.Close(); err != nil {
				return err
			}
		}
		fmt.Fprintf(stderr, "Export LHÉO 2.3 : %d formation(s) écrite(s)", n)
		if skipped > 0 {
			fmt.Fprintf(stderr, ", %d refusée(s) par l'encodeur (voir le journal)", skipped)
		}
		fmt.Fprintln(stderr, ".")
		return nil
	}
	return errors.New(usage)
}

func lheoImport(ctx context.Context, svc *catalogue.Service, path, source string, partial bool, stdout, stderr io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	opt := catalogue.ImportOptions{Source: source, FileName: st.Name(), Size: st.Size(), Partial: partial}
	bar := isTerminal(stderr) && st.Size() > 0
	start := time.Now()
	if bar {
		opt.Progress = func(n int64) { progressBar(stderr, n, st.Size(), start) }
	}
	imp, err := svc.Import(ctx, bufio.NewReaderSize(f, 1<<20), opt)
	if bar {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	printImport(stdout, imp)
	lines, err := svc.ReportLines(ctx, imp.ID, 50)
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintf(stdout, "  %s, ligne %d%s : %s\n", l.Kind, l.Line, ifNotEmpty(" (formation "+l.Numero+")", l.Numero), l.Message)
	}
	if imp.Counts.Rejected+imp.Counts.Warnings > len(lines) {
		fmt.Fprintf(stdout, "  … rapport complet : import n°%d (page Imports LHÉO ou API).\n", imp.ID)
	}
	if imp.Status != catalogue.StatusDone {
		return fmt.Errorf("fichier rejeté : rien n'a été importé")
	}
	return nil
}

func ifNotEmpty(s, v string) string {
	if v == "" {
		return ""
	}
	return s
}

func printImport(w io.Writer, imp *catalogue.Import) {
	fmt.Fprintf(w, "Import n°%d — %s (source %s, LHÉO %s) : %s en %s\n", imp.ID, imp.FileName, imp.Source, orDash(imp.Version), imp.StatusLabel(), imp.Duration().Round(time.Millisecond))
	if imp.Status == catalogue.StatusRejected {
		fmt.Fprintf(w, "  ligne %d, colonne %d : %s\n", imp.ErrorLine, imp.ErrorColumn, imp.ErrorMessage)
		return
	}
	c := imp.Counts
	for _, l := range []struct {
		n string
		c catalogue.Count
	}{{"Formations", c.Formations}, {"Actions", c.Actions}, {"Sessions", c.Sessions}} {
		fmt.Fprintf(w, "  %-10s créées %d, mises à jour %d, inchangées %d, retirées %d\n", l.n, l.c.Created, l.c.Updated, l.c.Unchanged, l.c.Withdrawn)
	}
	fmt.Fprintf(w, "  Rejets : %d formation(s) ; avertissements : %d\n", c.Rejected, c.Warnings)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func progressBar(w io.Writer, n, total int64, start time.Time) {
	const width = 30
	p := min(float64(n)/float64(total), 1)
	done := int(p * width)
	rate := float64(n) / 1e6 / max(time.Since(start).Seconds(), 1e-3)
	fmt.Fprintf(w, "\r[%s%s] %3.0f %% — %.0f / %.0f Mo — %.1f Mo/s", strings.Repeat("#", done), strings.Repeat(".", width-done), p*100, float64(n)/1e6, float64(total)/1e6, rate)
}
