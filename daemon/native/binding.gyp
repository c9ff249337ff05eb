{
  "targets": [
    {
      "target_name": "ummunotify",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/exit_watch.cc",
        "src/syscalls.cc",
        "src/peer.cc",
        "src/fd_passing.cc",
        "src/counter_page.cc",
        "src/registration_rules.cc",
        "src/address_space.cc",
        "src/uffd_engine.cc",
        "src/device_engine.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "../../kernel/include/uapi"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
