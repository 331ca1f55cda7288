/* One libFuzzer binary per target: FUZZ_ENTRY names its fuzz_entry_*()
 * function (set by tests/Makefile.fuzz.inc), so the binaries differ only in
 * that and share one instrumented build of the parsers. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "fuzz_entry.h"

#ifndef FUZZ_ENTRY
#error "FUZZ_ENTRY must name a fuzz_entry_* function"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return FUZZ_ENTRY(data, size);
}
