"""The simulated phone — a SIMULATOR, not Android — for machines without a device or emulator.

``server`` speaks the real ADB wire protocol (``protocol``) on 127.0.0.1; ``shell`` parses each
command line as a POSIX shell would; ``commands`` implements the device tools (screencap, input,
am, pm, wm, ime, ...); ``phone`` holds the state and screen layout; ``draw`` renders it with
Pillow; ``content`` holds the made-up apps, emails and search results.
"""
