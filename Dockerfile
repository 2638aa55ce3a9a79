# The grader's image, for PrairieLearn's external grader and a Kubernetes Indexed Job (docs/scaling.md):
# Node.js 20, python3 for the students' programs, bubblewrap and util-linux for the jail where the
# platform allows namespaces, tcpdump for grade --capture, and the grader with its dependencies in /grader. Build it here:
#   docker build -t COURSE/socket-autograder .
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 bubblewrap util-linux tcpdump && rm -rf /var/lib/apt/lists/*
WORKDIR /grader
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force
COPY . .
RUN chmod +x prairielearn/run gradescope/run_autograder
ENTRYPOINT ["/grader/prairielearn/run"]
