/*
 * The fast path: the counter page, checked with one load. It must move
 * before the system call that invalidated a watched range returns, and stay
 * put for everything else.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

int main(void)
{
	struct umn_client *client;
	const volatile uint64_t *page;
	size_t p = page_size();
	struct umn_report r[4];
	struct umn_info info;
	char perms[5] = "";
	uint64_t seen;
	char *a, *unwatched;
	ssize_t n;

	test_begin(9);
	client = open_client(NULL, 0, false);
	page = umn_counter_page(client);
	ok(page != NULL, "the counter page is mapped after open");
	ok(mapping_perms((const void *)page, perms) && strcmp(perms, "r--s") == 0,
	   "it is mapped read-only and shared (%s)", perms);
	seen = umn_counter_load(page);
	ok(!umn_changed_since(page, seen), "unchanged right after open (counter %llu)", (unsigned long long)seen);

	a = map_pages(2);
	unwatched = map_pages(1);
	umn_register(client, (uintptr_t)a, 2 * p, 1);
	munmap(unwatched, p);
	ok(!umn_changed_since(page, seen), "munmap of memory nobody watches leaves it alone");
	munmap(a, p);
	ok(umn_changed_since(page, seen), "munmap of a watched page moves it before munmap returns (%llu -> %llu)",
	   (unsigned long long)seen, (unsigned long long)umn_counter_load(page));

	n = umn_read_events(client, r, 4);
	ok(n == 2 && r[1].kind == UMN_REPORT_LAST && r[1].counter == umn_counter_load(page),
	   "the Last report carries the counter on the page");
	if (n == 2)
		seen = r[1].counter;
	ok(!umn_changed_since(page, seen), "with the Last report's counter as seen: unchanged, nothing to read");
	umn_info(client, &info);
	ok(info.counter == umn_counter_load(page), "GetInfo's counter agrees with the page");
	umn_info_release(&info);

	madvise(a + p, p, MADV_DONTNEED);
	ok(umn_changed_since(page, seen), "madvise(DONTNEED) of the rest moves it again");
	munmap(a, 2 * p);
	umn_close(client);
	return test_end();
}
