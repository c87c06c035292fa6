#!/bin/sh
# One connection: read the request head, answer 418 and close.
while IFS= read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  [ -z "$line" ] && break
done
body="I'm a teapot: no app here"
printf 'HTTP/1.1 418 I'"'"'m a teapot\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n' "$((${#body} + 1))" "$body"
