// fio's iolog, versions 2 and 3 (fio's HOWTO, "Trace file format"), as
// written by write_iolog and read by read_iolog.
#pragma once

#include <string>

#include "trace.h"

namespace nvmev::sim {

// The first line is "fio version 2 iolog" or "fio version 3 iolog". Then
// per line `[timestamp] filename action [offset length]`: version 3 starts
// every line with a timestamp in microseconds (fio writes the time since
// the log started, utime_since_now()); version 2 times I/Os with `wait`
// actions (offset: microseconds after the previous wait). Actions: add,
// open, close (file), read, write, trim (bytes), sync and datasync (a
// Flush), wait (version 2). One file: the namespace stands for it, and a
// line naming another is an error, as are I/O on a file not opened, a
// malformed line, a zero length and a trace with no I/O; `err` names the
// line. Times are relative to the first line's; a version 3 timestamp
// earlier than the one before it counts as that one (order is kept).
bool parse_fio_iolog(const std::string &text, Trace &out, std::string &err);

}  // namespace nvmev::sim
