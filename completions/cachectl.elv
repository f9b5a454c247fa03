
set edit:completion:arg-completer[cachectl] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) CACHECTL_COMPLETE="elvish" cachectl -- $@words) | to-lines
}

