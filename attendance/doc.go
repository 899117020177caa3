// Package attendance holds the arithmetic of the monthly attendance
// attestation (attestation mensuelle de présence), without storage: the hours
// a trainee was expected to attend in a month, pre-filled from the session's
// rhythm, the trainee's presence window, interruptions and declared absences
// (Prefill); the checks on figures edited by a user (Figures.Validate); and
// the due date of a month's attestation (DueDay).
//
// Hours are counted in whole minutes (Minutes), never in floating point, and
// shown in French ("7,5 h"). Days are calendar.Date values, so changes of time
// never move a day.
package attendance
