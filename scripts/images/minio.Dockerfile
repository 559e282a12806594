# gameday/minio:<pin> — the pinned, statically linked MinIO server (AGPL,
# run as a separate program), FROM scratch: no registry is needed.
# Built by `make images` from a context holding `minio` and an empty `tmp`.
FROM scratch
COPY tmp /tmp
COPY minio /minio
ENV TMPDIR=/tmp
LABEL org.opencontainers.image.title="gameday-minio" \
      gameday.component="minio"
ENTRYPOINT ["/minio"]
