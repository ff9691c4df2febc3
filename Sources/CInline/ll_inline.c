// The helpers are inline, in include/ll_inline.h; a C target needs one source file.
#include "ll_inline.h"
