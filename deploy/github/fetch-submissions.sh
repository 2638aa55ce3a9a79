#!/usr/bin/env bash
# Fetches a class's submissions into a folder for `npm run grade` (docs/scaling.md):
#   fetch-submissions.sh URL DEST            a .zip / .tar.gz / .tgz of the class folder (one entry per
#                                            student: folders, archives or git repositories), e.g. a
#                                            release asset; file:// works too
#   fetch-submissions.sh org:ORG/PREFIX DEST every repository of ORG whose name starts with PREFIX
#                                            (GitHub Classroom's "assignment-login"), cloned at its
#                                            default branch into DEST/LOGIN; needs GH_TOKEN (read access)
set -euo pipefail
source="$1"
dest="$2"
mkdir -p "$dest"
case "$source" in
  org:*/*)
    spec="${source#org:}"
    org="${spec%%/*}"
    prefix="${spec#*/}"
    : "${GH_TOKEN:?GH_TOKEN must be a token that can read the repositories of $org}"
    count=0
    while read -r name; do
      [ -n "$name" ] || continue
      login="${name#"$prefix"}"
      login="${login#-}"
      git clone --quiet --depth 1 "https://x-access-token:${GH_TOKEN}@github.com/${org}/${name}.git" "$dest/${login:-$name}"
      count=$((count + 1))
    done < <(gh repo list "$org" --limit 4000 --json name --jq ".[] | select(.name | startswith(\"$prefix\")) | .name")
    echo "fetched $count repositories of $org starting with $prefix into $dest"
    ;;
  *)
    archive="$(mktemp)"
    trap 'rm -f "$archive"' EXIT
    curl --fail --silent --show-error --location --proto '=https,file' --output "$archive" "$source"
    case "$source" in
      *.zip|*.zip\?*) python3 -m zipfile -e "$archive" "$dest" ;;
      *.tar.gz|*.tgz|*.tar.gz\?*|*.tgz\?*) tar -xzf "$archive" -C "$dest" ;;
      *) echo "fetch-submissions: $source is neither a .zip nor a .tar.gz/.tgz" >&2; exit 2 ;;
    esac
    # An archive of one folder holding the class: that folder is the class.
    entries=("$dest"/*)
    if [ "${#entries[@]}" -eq 1 ] && [ -d "${entries[0]}" ] && [ ! -d "${entries[0]}/student" ] && [ ! -d "${entries[0]}/.git" ]; then
      inner="${entries[0]}"
      shopt -s dotglob
      mv "$inner"/* "$dest"/
      rmdir "$inner"
    fi
    echo "fetched $(find "$dest" -mindepth 1 -maxdepth 1 | wc -l) entries from $source into $dest"
    ;;
esac
