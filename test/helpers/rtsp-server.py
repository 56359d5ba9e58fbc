#!/usr/bin/python3
# A real RTSP server for the tests: GStreamer's gst-rtsp-server (Debian's
# gir1.2-gst-rtsp-server-1.0) through python3-gi, serving an H.264 MP4 file
# at rtsp://127.0.0.1:PORT/PATH, paced at the file's own frame rate.
# Usage: rtsp-server.py PORT PATH FILE   (prints READY when listening)
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
port, mount, path = sys.argv[1], sys.argv[2], sys.argv[3]
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(f'( filesrc location="{path}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )')
factory.set_shared(True)
server.get_mount_points().add_factory(mount, factory)
if server.attach(None) == 0:
    print("FAILED to listen", flush=True)
    sys.exit(1)
print("READY", flush=True)
GLib.MainLoop().run()
