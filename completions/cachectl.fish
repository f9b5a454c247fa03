complete --keep-order --exclusive --command cachectl --arguments "(CACHECTL_COMPLETE=fish cachectl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
