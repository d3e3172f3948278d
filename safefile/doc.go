// Package safefile writes files and directories so that a crash or an error
// never leaves a half-written result under the final name.
//
// Guarantees: Write creates a temporary file in the target's directory,
// writes it, fsyncs it, renames it over the target and fsyncs the directory;
// if the write function or any step fails, the old file (if any) is left as
// it was and the temporary file is removed. Replace swaps a fully written
// directory in for another one in one rename (RENAME_EXCHANGE on Linux), so
// a reader sees either the old tree or the new one, never neither.
//
// Caveats: a crash can leave a stray temporary file or directory (named
// with a ".tmp" infix) behind; callers that care may remove them at start.
// On systems or file systems without an atomic exchange, Replace falls back
// to moving the old directory aside first: a crash in between leaves the
// old tree under "<dir>.old" rather than at dir.
package safefile
