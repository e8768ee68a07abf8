#include "trace/trace-hw_nvmev.h"
