// The scanner helpers are inline, in include/ll_byte_scan.h; a C target needs one source file.
#include "ll_byte_scan.h"
