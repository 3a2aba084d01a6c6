#ifndef HYBRID_RUN_TEMPORARY_FILE_SHIMS_H
#define HYBRID_RUN_TEMPORARY_FILE_SHIMS_H

/// Temporary files to remove when a signal ends the process, so an interrupted write leaves nothing behind.
///
/// Why C: a signal handler may only run async-signal-safe code, and it needs the paths prepared in advance in
/// memory it can read without locks. The table has a fixed number of slots; each is free, claimed (the file is
/// being created) or armed (its path is filled in). The caller blocks the handled signals in its own thread
/// from `hr_temporary_claim` until `hr_temporary_arm` or `hr_temporary_release`, so a handler running on another
/// thread may wait for a claimed slot to settle without ever waiting for itself.

/// Claims a free slot; returns its index, or -1 when every slot is taken (the file then goes unprotected).
int hr_temporary_claim(void);

/// Copies `path` (the file just created, so `open` accepted it and it fits `PATH_MAX`; a relative path is
/// relative to the working directory, which the programs never change) into the claimed `slot` and arms it.
void hr_temporary_arm(int slot, const char *path);

/// Frees `slot`: call after the file was renamed away or removed (an unlink by a signal in between finds
/// nothing and does no harm).
void hr_temporary_release(int slot);

/// Installs the handler for each of `signals`: it unlinks every armed slot's path, restores the signal's
/// default action and raises it again, so the process ends as that signal would have ended it (a shell shows
/// 128+N). The caller leaves out signals that were ignored at start-up (`nohup`). Returns 0, or an `errno` value.
int hr_install_temporary_cleanup(const int *signals, int count);

#endif
