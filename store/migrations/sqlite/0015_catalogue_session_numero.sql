-- The LHÉO number of a session (numero) finds it when a counsellor types it
-- to propose an enrolment (issue 11).
CREATE INDEX catalogue_sessions_numero ON catalogue_sessions (numero);
