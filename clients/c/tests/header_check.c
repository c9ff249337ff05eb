/* Built, never run: the public header is plain C99 (pedantic), so that any C
 * code base can include it. */
#include <ummunotify/client.h>

int umn_header_check_c(const volatile uint64_t *page);

int umn_header_check_c(const volatile uint64_t *page)
{
	struct umn_open_options opts = { 0 };

	return umn_changed_since(page, umn_counter_load(page)) + (int)opts.no_attach;
}
