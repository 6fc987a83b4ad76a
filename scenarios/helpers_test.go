package scenarios

import "go.yaml.in/yaml/v3"

type yamlNode = yaml.Node

var yamlUnmarshal = yaml.Unmarshal
