/// Net — POSIX TCP sockets with deadlines, HMAC-SHA256 authentication, a threaded server loop.
public enum Net {}
