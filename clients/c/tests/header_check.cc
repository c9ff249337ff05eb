// Built, never run: the public header also compiles as C++ (extern "C").
#include <ummunotify/client.h>

int umn_header_check_cc(const volatile uint64_t* page);

int umn_header_check_cc(const volatile uint64_t* page) {
  umn_open_options opts{};
  return umn_changed_since(page, umn_counter_load(page)) + static_cast<int>(opts.no_attach);
}
