# Builds the TAP addon (drivers/tap/*.cc). `npm ci` runs node-gyp on this file automatically.
# The addon does only what JavaScript cannot: the TUNSETIFF ioctl and batched non-blocking I/O
# on the TAP descriptor driven by a libuv poll handle (DESIGN.md, "Drivers"), with the
# virtio-net header of each frame read and written there (drivers/tap/vnet.cc); and busy polling
# of the event loop without a JavaScript object per turn (drivers/tap/loop-poll.cc).
{
  "targets": [
    {
      "target_name": "usernet_tap",
      "sources": [
        "drivers/tap/addon.cc",
        "drivers/tap/device.cc",
        "drivers/tap/handle.cc",
        "drivers/tap/loop-poll.cc",
        "drivers/tap/vnet.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"],
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    }
  ]
}
