"""A small service for the debug tests: it ticks forever; tick() is where tests set a breakpoint."""
