//! A small Lua 5.1, written for Redis's scripts: what `EVAL` and `FUNCTION LOAD` run.
