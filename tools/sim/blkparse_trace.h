// blkparse's default text output (`blkparse -i trace`), one event a line:
//   maj,min cpu seq seconds.nanoseconds pid action rwbs [sector + blocks] [process]
#pragma once

#include <string>

#include "trace.h"

namespace nvmev::sim {

// Takes the events of `action` ('Q': queued, as the file system issued
// them; 'D': dispatched to the driver, after merging and scheduling) and
// ignores every other line (other actions, blkparse's summary). From the
// RWBS field: R a read, W a write, D a discard (a trim), F alone a flush;
// a leading F before R, W or D (a preflush) adds a flush before the I/O,
// and a preflush with no data is a flush alone. Sectors are 512 bytes.
// Events with no data and no flush (N, a zero length) are skipped. Times
// are relative to the first taken event (an earlier time than the event
// before counts as that one's: order is kept). One device: an event of another
// maj,min is an error, as are a malformed taken event and a trace with
// none; `err` names the line.
bool parse_blkparse(const std::string &text, char action, Trace &out, std::string &err);

}  // namespace nvmev::sim
