"""Built-in strategies; each module registers one."""
