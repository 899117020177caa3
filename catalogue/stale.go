package catalogue

import (
	"context"
	"time"
)

// MaxImportDuration is how long an import may stay « en cours »: one still
// running after that was interrupted (its process was killed or stopped
// mid-way; its transaction was rolled back, so nothing was imported).
const MaxImportDuration = 2 * time.Hour

// StaleImportsJob is the scheduled job that closes interrupted imports.
const StaleImportsJob = "catalogue.stale_imports"

// FailStaleImports marks as failed the imports started more than
// MaxImportDuration ago and still « en cours », and returns how many.
func (s *Service) FailStaleImports(ctx context.Context) (int, error) {
	now := s.now()
	res, err := s.DB.Exec(ctx, `UPDATE catalogue_imports SET status = ?, finished_at = ?, error_message = ? WHERE status = ? AND started_at < ?`,
		StatusFailed, now, "Import interrompu (le serveur s'est arrêté pendant l'import) : rien n'a été importé. Relancez l'import.",
		StatusRunning, now.Add(-MaxImportDuration))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
