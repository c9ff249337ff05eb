# The fuzzer's self-test (test/fuzz/fuzz.test.ts) needs an engine it must
# catch: the daemon's own addon, built from the same sources with one
# deliberate bug (UMMU_MUTANT_FORGET_EVERY in uffd_engine.cc: every tenth
# successful Register quietly drops its kernel registration, so the engine
# believes it watches what it does not). The daemon loads it only
# when UMMUNOTIFY_ADDON names it; the production build has no such code.
{
  "targets": [
    {
      "target_name": "ummunotify_mutant",
      "sources": [
        "../../../daemon/native/src/addon.cc",
        "../../../daemon/native/src/errors.cc",
        "../../../daemon/native/src/exit_watch.cc",
        "../../../daemon/native/src/syscalls.cc",
        "../../../daemon/native/src/peer.cc",
        "../../../daemon/native/src/fd_passing.cc",
        "../../../daemon/native/src/counter_page.cc",
        "../../../daemon/native/src/registration_rules.cc",
        "../../../daemon/native/src/address_space.cc",
        "../../../daemon/native/src/uffd_engine.cc",
        "../../../daemon/native/src/device_engine.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "../../../kernel/include/uapi"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE", "UMMU_MUTANT_FORGET_EVERY=10"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
