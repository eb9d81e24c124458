"""Scale-out: building shards of the threads on several machines and merging them into one site."""
