complete --keep-order --exclusive --command cachectl --arguments "(COMPLETE=fish cachectl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
